"""Value files: figures to import, all or nothing, each a new revision with its provenance.

A value file is YAML::

    jalon: 1
    plan: imt-2018-2022
    source: press-release        # default source of the rows
    state: approved              # the rows' state, said by the file (a row may say its own)
    values:
      - {indicator: students, entity: imt, period: 2017/18, value: 13400}
      - {indicator: students, entity: imt, period: 2016/17, member: programme/engineering, value: 9100}
      - {indicator: students, entity: imt, period: 2015/16, state: withdrawn, comment: "counted twice"}

Only approved figures count by default; submitted ones count where a reader asks for
them, marked "unapproved"; drafts never count; a withdrawn figure stops counting and
stays in the history with who, when and why.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone, translation
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator
from pydantic import ValidationError as PydanticValidationError

from jalon.audit.models import AuditEvent
from jalon.core.gcpause import paused_collection
from jalon.core.revisions import day_start
from jalon.core.yamlsource import CONTROL, FileProblems, Located, Problem, read_yaml
from jalon.engine.periods import PeriodError
from jalon.organisation.models import Entity
from jalon.plans.models import DimensionMember, Indicator, Plan, Source, Target
from jalon.plans.planfile import (
    Code,
    Number,
    PeriodCode,
    _pydantic_problem,
    checked_period,
    unfit_problems,
)
from jalon.values.choices import DECISIONS
from jalon.values.models import Value
from jalon.values.sharing import mirrored


class Strict(BaseModel):
    # No infinity or NaN: "no data" is the absence of a row, never a number.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


STATES = ("draft", "submitted", "approved", "withdrawn")
DETAILS = 500  # figures a report describes one by one; the counts say the rest


class ValueRow(Strict):
    indicator: Code
    entity: Code
    period: PeriodCode
    member: str | None = Field(None, description="dimension/member, e.g. programme/engineering")
    value: Number | None = None
    text: str | None = None
    source: Code | None = None
    comment: str | None = Field(None, description="Required to withdraw a figure: why.")
    state: Literal[STATES] | None = Field(None, description="Default: the file's state.")
    published: dt.date | None = Field(
        None, description="When the figure was made public (default: the file's, else now)."
    )

    @field_validator("text", "comment", "member")
    @classmethod
    def _no_control_characters(cls, value):
        if value is not None and CONTROL.search(value):
            raise ValueError("remove the control characters (invisible ones, such as NUL)")
        return value


ROWS = TypeAdapter(list[ValueRow])


class ValueFile(Strict):
    jalon: Literal[1]
    plan: Code
    source: Code | None = None
    state: Literal[STATES] = Field(
        description="The state of the figures: approved ones count; submitted ones count only"
        " when a reader asks for them; drafts never; withdrawn stops a figure counting."
    )
    note: str | None = None
    published: dt.date | None = Field(None, description="When the figures were made public.")
    # Rows are checked one by one (ValueRow), so that one bad row hides no other problem.
    values: list


@dataclass(frozen=True)
class Scope:
    """What a person may write: the entities they report for, the states they may give."""

    entities: frozenset[str] | None = None  # None: every entity of the plan
    states: frozenset[str] = frozenset(STATES)
    who: str = ""  # for the sentence: "you report for imt-mines-ales"
    locked: frozenset[tuple[str, str, str]] = frozenset()  # (indicator, entity, period) codes


@dataclass(slots=True)
class Entry:
    """One revision to record: a figure's key, what it says, and the state it is in."""

    key: tuple  # (indicator id, entity id, period code, member id or None)
    number: float | None
    text: str
    source: Source | None
    comment: str
    state: str
    where: tuple = ()  # the row's path in its file, to name it in a problem
    label: str = ""  # the figure in words: "students at imt for 2018/19"
    published: dt.datetime | None = None  # when its source made it public
    mirror: bool = False  # the same figure for another plan's indicator that shares it

    def says(self) -> tuple:
        source = self.source.pk if self.source else None
        return (self.number, self.text, source, self.comment, self.published)


@dataclass
class ValuesReport:
    """What an import did: new revisions by state, corrections, and rows already there."""

    counts: Counter = field(default_factory=Counter)
    # The first figures, each with what becomes of it, for a preview to show:
    # (outcome: new, revised, unchanged or withdrawn; the figure; the number before; after).
    details: list = field(default_factory=list)

    def merge(self, other: "ValuesReport") -> None:
        """Add what another part of the same import did."""
        self.counts.update(other.counts)
        self.details += other.details[: max(0, DETAILS - len(self.details))]

    def note(self, outcome: str, label: str, before, after) -> None:
        if len(self.details) < DETAILS:
            self.details.append((outcome, label, before, after))

    def summary(self) -> str:
        """Return one line: what is new, revised, unchanged, withdrawn, in which state.

        "1 new, 2 revised, 3 unchanged, 1 withdrawn; stored as 2 approved, 1 submitted".
        """
        c = self.counts
        text = f"{c['new']} new, {c['revised']} revised, {c['unchanged']} unchanged"
        if c["withdrawn"]:
            text += f", {c['withdrawn']} withdrawn"
        stored = [f"{c[state]} {state}" for state in STATES if c[state] and state != "withdrawn"]
        if stored:
            text += "; stored as " + ", ".join(stored)
        return text


def _key_text(indicator, entity, period: str, member: str | None) -> str:
    return f"{indicator} at {entity} for {period}" + (f" ({member})" if member else "")


def store_values(
    text: str, filename: str, *, actor=None, actor_label: str = "", dry_run: bool = False
) -> ValuesReport:
    """Import the figures in ``text``; raise FileProblems and write nothing on any error."""
    return store_data(
        read_yaml(text, filename), filename, actor=actor, actor_label=actor_label, dry_run=dry_run
    )


def withdraw_figure(
    plan: str,
    indicator: str,
    entity: str,
    period: str,
    reason: str,
    *,
    member: str | None = None,
    actor=None,
    actor_label: str = "",
) -> ValuesReport:
    """Withdraw a figure: it stops counting; the history keeps it, with who, when and why.

    Raise FileProblems (positions are those of the arguments, not of a file) on error.
    """
    row = {"indicator": indicator, "entity": entity, "period": period, "comment": reason}
    if member:
        row["member"] = member
    data = {"jalon": 1, "plan": plan, "state": "withdrawn", "values": [row]}
    return store_data(
        Located(data=data), "command line", actor=actor, actor_label=actor_label, action="withdraw"
    )


@paused_collection()
def store_data(
    located: Located,
    filename: str,
    *,
    actor=None,
    actor_label: str = "",
    action: str = "import",
    plan: Plan | None = None,
    scope: Scope = Scope(),  # noqa: B008 - frozen, so a shared default is safe
    dry_run: bool = False,
) -> ValuesReport:
    """Record the figures of a value file's data; raise FileProblems and write nothing on error.

    Every problem is found in one pass: a row that breaks the schema is said and left
    aside, and every other row is still checked against the plan. ``plan`` (when the file
    comes from a plan's page) must be the one the data names, if it names one. With
    ``dry_run``, nothing is kept: the report says what the import would do.
    """
    data = located.data if isinstance(located.data, dict) else {}
    header = {k: v for k, v in data.items() if k != "values"} | {"values": []}
    # The rows' texts and numbers are checked by their schema; the header's here.
    problems = unfit_problems(located, header)
    try:
        parsed = ValueFile.model_validate(header)
    except PydanticValidationError as error:
        problems += [_pydantic_problem(located, e) for e in error.errors()]
        parsed = None
    raw = data.get("values")
    if not isinstance(located.data, dict):
        problems.append(located.problem((), "the file must be a mapping of keys"))
    elif not isinstance(raw, list):
        problems.append(located.problem(("values",), "values: a list of figures is expected"))
    rows = []
    items = raw if isinstance(raw, list) else []
    try:  # all rows at once, the fast way; row by row only to say what is wrong where
        rows = list(enumerate(ROWS.validate_python(items)))
    except PydanticValidationError:
        for n, item in enumerate(items):
            try:
                rows.append((n, ValueRow.model_validate(item)))
            except PydanticValidationError as error:
                for e in error.errors():
                    e = dict(e, loc=("values", n, *e["loc"]))
                    problems.append(_pydantic_problem(located, e))
    if parsed is None:
        raise FileProblems(filename, problems)
    if plan is None:
        plan = Plan.objects.select_related("organisation").filter(code=parsed.plan).first()
        if plan is None:
            raise FileProblems(
                filename,
                [*problems, located.problem(("plan",), f"no plan has the code '{parsed.plan}'")],
            )
    elif parsed.plan != plan.code:
        problems.append(
            located.problem(("plan",), f"this file is for plan '{parsed.plan}', not {plan.code}")
        )
    with translation.override("en"):  # a file's problems are said in English
        entries, found = _entries(parsed, rows, plan, located, scope)
    problems += found
    if problems:
        raise FileProblems(filename, problems)
    try:
        return _record(
            plan, entries, located, filename, actor, actor_label, action, dry_run, parsed.note
        )
    except IntegrityError:
        # Two writers of the same figure at once: the second is refused by the database's
        # "one revision in force" rule, and says so rather than failing.
        raise FileProblems(filename, [Problem(1, 1, CONCURRENT)]) from None


def _record(plan, entries, located, filename, actor, actor_label, action, dry_run, note=None):
    with transaction.atomic():
        via = Path(filename).name + (f" · {actor_label}" if actor_label and not actor else "")
        report, problems = record_revisions(
            plan, entries, located, actor=actor, via=via[-100:], dry_run=dry_run
        )
        if problems:
            raise FileProblems(filename, problems)
        if dry_run:
            transaction.set_rollback(True)
            return report
        AuditEvent.record(
            f"values.{action}",
            "plan",
            plan.code,
            actor=actor,
            label=actor_label,
            plan=plan.code,
            file=Path(filename).name,  # never a path of the server's
            note=note,  # the file's own word on its figures, kept with the import
            counts=dict(report.counts),
            rows=[
                {"figure": e.label, "state": e.state, "comment": e.comment}
                for e in entries
                if e.state == "withdrawn"
            ],
        )
    return report


def _entries(
    parsed: ValueFile, rows: list, plan: Plan, located: Located, scope: Scope
) -> tuple[list[Entry], list[Problem]]:
    """Return the rows (index, ValueRow) resolved to entries, and every problem in them."""
    problems: list[Problem] = []
    indicators = {i.code: i for i in plan.indicators.all()}
    entities = {e.code: e for e in Entity.objects.within(plan.organisation)}
    elsewhere = set(
        Entity.objects.exclude(pk__in=[e.pk for e in entities.values()]).values_list(
            "code", flat=True
        )
    )
    sources = {s.code: s for s in Source.objects.all()}
    members = {
        (m.dimension.indicator_id, f"{m.dimension.code}/{m.code}"): m
        for m in DimensionMember.objects.filter(dimension__indicator__plan=plan).select_related(
            "dimension"
        )
    }
    if parsed.source and parsed.source not in sources:
        problems.append(located.problem(("source",), f"no source has the code '{parsed.source}'"))

    entries = []
    seen = Counter()
    periods: dict[tuple, object] = {}  # each period read once per indicator
    today = timezone.localdate()
    for n, row in rows:
        at = ("values", n)
        indicator = indicators.get(row.indicator)
        entity = entities.get(row.entity)
        state = row.state or parsed.state
        if state not in scope.states:
            allowed = ", ".join(sorted(scope.states))
            problems.append(
                located.problem((*at, "state"), f"you may give figures as {allowed}, not {state}")
            )
        if entity is not None and scope.entities is not None and entity.code not in scope.entities:
            problems.append(
                located.problem(
                    (*at, "entity"), f"'{entity.code}' is outside your scope: {scope.who}"
                )
            )
            continue
        if indicator is None:
            problems.append(
                located.problem((*at, "indicator"), f"the plan has no indicator '{row.indicator}'")
            )
        if entity is None:
            problems.append(
                located.problem(
                    (*at, "entity"),
                    f"'{row.entity}' is not in the federation of plan {plan.code}"
                    if row.entity in elsewhere
                    else f"no entity has the code '{row.entity}'",
                )
            )
        source_code = row.source or parsed.source
        if row.source and row.source not in sources:
            problems.append(
                located.problem((*at, "source"), f"no source has the code '{row.source}'")
            )
        if indicator is None or entity is None:
            continue
        try:
            found = periods.get((row.period, indicator.id))
            if found is None:
                period = checked_period(row.period, indicator.frequency, indicator.start_month)
                found = periods[(row.period, indicator.id)] = (
                    period,
                    period.start,
                    period.end,
                    period.code,
                )
            period, starts, ends, code = found
            if starts > today:
                raise PeriodError(f"'{code}' has not started yet: a figure measures the past")
        except PeriodError as error:
            problems.append(
                located.problem(
                    (*at, "period"),
                    f"{error} ('{indicator.code}' is reported by {indicator.frequency.replace('_', ' ')})",
                )
            )
            continue
        if (indicator.code, entity.code, code) in scope.locked:
            problems.append(
                located.problem(
                    (*at, "period"),
                    f"the round of {code} is closed: its figures are locked; a steward"
                    " can reopen it",
                )
            )
        if not entity.exists_on(ends):
            problems.append(
                located.problem(
                    (*at, "entity"), f"'{entity.code}' did not exist at the end of {code}"
                )
            )
        member = None
        if row.member:
            member = members.get((indicator.id, row.member))
            if member is None:
                problems.append(
                    located.problem(
                        (*at, "member"),
                        f"'{indicator.code}' has no breakdown member '{row.member}'",
                    )
                )
                continue
        if state == "withdrawn":
            if not (row.comment or "").strip():
                problems.append(
                    located.problem(at, "a withdrawal says why: give comment: (the reason)")
                )
            if row.value is not None or row.text is not None:
                problems.append(
                    located.problem(
                        at, "a withdrawal gives no value: it withdraws the figure in force"
                    )
                )
        elif indicator.kind == "qualitative":
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
        else:
            wrong = indicator.figure_problem(row.value)
            if wrong:
                problems.append(located.problem((*at, "value"), wrong))
        published = row.published or parsed.published
        if published is not None and published > today:
            problems.append(
                located.problem(
                    (*at, "published"), f"{published} is in the future: a figure is published"
                )
            )
        elif published is not None and published < starts:
            problems.append(
                located.problem(
                    (*at, "published"),
                    f"{published} is before {code} began: a figure is published after",
                )
            )
        key = (indicator.id, entity.id, code, member.id if member else None)
        seen[key] += 1
        if seen[key] == 2:
            problems.append(
                located.problem(
                    at,
                    f"this file gives {_key_text(indicator.code, entity.code, code, row.member)} twice",
                )
            )
        entries.append(
            Entry(
                key=key,
                number=None if state == "withdrawn" else row.value,
                text="" if state == "withdrawn" else row.text or "",
                source=sources.get(source_code),
                comment=row.comment or "",
                state=state,
                where=at,
                label=_key_text(indicator.code, entity.code, code, row.member),
                published=day_start(published) if published else None,
            )
        )
    problems += _written_the_other_way(parsed, entries, indicators, located)
    return entries, problems


def _written_the_other_way(parsed, entries, indicators, located) -> list[Problem]:
    """Return the shares written as fractions where their indicator writes percentages.

    0.62 can be 0.62 %; it is refused only where the indicator's targets, figures in force
    or the file's other figures are written above 1, which a fraction never is.
    """
    shares = {i.pk: i for i in indicators.values() if i.is_share and i.written_as == "percent"}
    rows = [e for e in entries if e.key[0] in shares and e.number is not None]
    if not any(0 < abs(e.number) < 1 for e in rows):
        return []
    scale = dict.fromkeys(shares, 0.0)
    for e in rows:
        scale[e.key[0]] = max(scale[e.key[0]], abs(e.number))
    # Only the indicators the file leaves in doubt are looked up: their largest figure in
    # force costs the indicator's whole history, where the file's own figures cost nothing.
    doubtful = {e.key[0] for e in rows if 0 < abs(e.number) < 1 and scale[e.key[0]] <= 1}
    for t in Target.objects.current().filter(indicator_id__in=doubtful):
        for v in (t.baseline_value, t.target_value):
            scale[t.indicator_id] = max(scale[t.indicator_id], abs(v or 0.0))
    doubtful = {i for i in doubtful if scale[i] <= 1}
    stored = (
        Value.objects.current()
        .decisions()
        .filter(indicator_id__in=doubtful)
        .values("indicator_id")
        .annotate(top=Max("number"))
    )
    for found in stored:  # none asked for where none is in doubt: `__in` an empty set
        scale[found["indicator_id"]] = max(scale[found["indicator_id"]], found["top"] or 0.0)
    problems = []
    for e in rows:
        if 0 < abs(e.number) < 1 and scale[e.key[0]] > 1:
            code = shares[e.key[0]].code
            problems.append(
                located.problem(
                    (*e.where, "value"),
                    f"{e.number:g} looks like a fraction, but '{code}' writes its figures as"
                    " percentages (62 for 62 %), as its other figures and targets are written",
                )
            )
    return problems


IN_FORCE = (
    "pk",
    "indicator_id",
    "entity_id",
    "period",
    "member_id",
    "state",
    "revision",
    "number",
    "text",
    "source_id",
    "comment",
    "published_at",
)


def record_revisions(
    plan: Plan,
    entries: list[Entry],
    located: Located | None = None,
    *,
    actor=None,
    via="",
    dry_run: bool = False,
) -> tuple[ValuesReport, list[Problem]]:
    """Record ``entries`` as new revisions on their tracks; return the report and problems.

    Call it inside a transaction and roll back on problems. A decision (approved,
    withdrawn) supersedes the decision in force and any proposal; a proposal (draft,
    submitted) supersedes the proposal in force only. A row that says what is already in
    force is unchanged. A withdrawal stops the figure counting: it keeps the number it
    withdraws, for the history. With ``dry_run``, the report is made and nothing written.
    """
    # Figures shared by another plan's indicator are recorded for it too.
    entries = mirrored(entries)
    # One writer of a plan's figures at a time: a second waits here until the first is
    # committed, then reads what is in force after it (PostgreSQL; SQLite's immediate
    # transactions already take the database's one write lock at their start). Every
    # plan written to is locked, always in the same order.
    plans = {plan.pk} | set(
        Indicator.objects.filter(pk__in={e.key[0] for e in entries}).values_list(
            "plan_id", flat=True
        )
    )
    list(Plan.objects.select_for_update().filter(pk__in=plans).order_by("pk").values_list("pk"))
    report = ValuesReport()
    problems: list[Problem] = []
    now = timezone.now()
    current: dict[tuple, dict[bool, tuple]] = {}
    in_force = (
        Value.objects.current()
        .filter(
            # The file's keys only (within the product of their parts): the cost follows
            # the file, not the history the database holds.
            indicator_id__in={e.key[0] for e in entries},
            entity_id__in={e.key[1] for e in entries},
            period__in={e.key[2] for e in entries},
        )
        .values_list(*IN_FORCE, named=True)
    )
    for value in in_force.iterator(chunk_size=5000):
        key = (value.indicator_id, value.entity_id, value.period, value.member_id)
        current.setdefault(key, {})[value.state in DECISIONS] = value
    new: list[tuple] = []
    written: list[Entry] = []  # the entry of each new row
    superseded: dict[dt.datetime, list[int]] = {}
    said = report
    for entry in entries:
        report = ValuesReport() if entry.mirror else said  # a mirror is not said twice
        have = current.get(entry.key, {})
        decision, proposal = have.get(True), have.get(False)
        latest = max((v for v in (decision, proposal) if v), key=lambda v: v.revision, default=None)
        number = entry.number
        if entry.state == "withdrawn":
            if decision is None and proposal is None:
                if located is not None and not entry.mirror:
                    problems.append(
                        located.problem(entry.where, "there is no figure here to withdraw")
                    )
                continue
            if decision is not None and decision.state == "withdrawn" and proposal is None:
                report.counts["unchanged"] += 1
                report.note("unchanged", entry.label, None, None)
                continue
            number = (decision or proposal).number
        elif entry.state == "approved":
            if (
                decision is not None
                and decision.state == "approved"
                and _says(decision) == entry.says()
            ):
                report.counts["unchanged"] += 1
                report.note("unchanged", entry.label, decision.number, entry.number)
                continue
        else:
            settled = decision is not None and decision.state == "approved"
            if (
                proposal is not None
                and proposal.state == entry.state
                and _says(proposal) == entry.says()
            ) or (proposal is None and settled and _says(decision) == entry.says()):
                report.counts["unchanged"] += 1
                report.note("unchanged", entry.label, (proposal or decision).number, entry.number)
                continue
        # The previous revision is in force until this one becomes known: when it is
        # published, else now.
        replaced = [decision, proposal] if entry.state in DECISIONS else [proposal]
        for old in replaced:
            if old is not None:
                superseded.setdefault(entry.published or now, []).append(old.pk)
        if entry.state != "withdrawn":
            outcome = "revised" if latest is not None else "new"
            report.counts[outcome] += 1
        else:
            outcome = "withdrawn"
        report.note(outcome, entry.label, latest.number if latest else None, entry.number)
        report.counts[entry.state] += 1
        if not dry_run:
            written.append(entry)
            new.append(
                (
                    entry.key[0],
                    entry.key[1],
                    entry.key[2],
                    entry.key[3],
                    number,
                    entry.text,
                    entry.source.pk if entry.source else None,
                    entry.comment,
                    entry.state,
                    latest.revision + 1 if latest else 1,
                    entry.published,
                    now,
                    actor.pk if actor else None,
                    via,
                )
            )
    report = said
    if problems or dry_run:
        return report, problems
    # Supersede first: the partial unique indexes allow one revision in force per track.
    _supersede(superseded)
    insert_rows(new)
    touched: dict[int, set[int]] = {}
    for pk, plan_id in Indicator.objects.filter(pk__in={r[0] for r in new}).values_list(
        "pk", "plan_id"
    ):
        touched.setdefault(plan_id, set()).add(pk)
    for plan_id, ids in touched.items():
        Plan(pk=plan_id).touch(indicators=ids)
    # Another plan's figures changed through this one's: said in its trail too.
    mirrored_to = Counter(row[0] for row, entry in zip(new, written, strict=True) if entry.mirror)
    for other in Plan.objects.filter(indicators__pk__in=mirrored_to).exclude(pk=plan.pk).distinct():
        AuditEvent.record(
            "values.shared", "plan", other.code, actor=actor, label=via, plan=other.code,
            via_plan=plan.code, figures=sum(
                n for pk, n in mirrored_to.items() if pk in touched.get(other.pk, ())
            ),
        )  # fmt: skip
    return report, problems


INSERTED = (
    "indicator_id",
    "entity_id",
    "period",
    "member_id",
    "number",
    "text",
    "source_id",
    "comment",
    "state",
    "revision",
    "published_at",
    "recorded_at",
    "recorded_by_id",
    "recorded_via",
)


def _supersede(superseded: dict) -> None:
    """Mark the revisions replaced, by the moment each stops being in force."""
    table = connection.ops.quote_name(Value._meta.db_table)
    with connection.cursor() as cursor:
        for moment, ids in superseded.items():
            at = connection.ops.adapt_datetimefield_value(moment)
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"UPDATE {table} SET superseded_at = %s WHERE id IN ({marks})", [at, *chunk]
                )


def insert_rows(rows: list[tuple]) -> None:
    """Insert new revisions as the database takes many rows best: COPY in PostgreSQL,
    one prepared statement run over every row elsewhere. The table's constraints and
    partial unique indexes check each row as with any insert."""
    if not rows:
        return
    table = connection.ops.quote_name(Value._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in INSERTED)
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,  # psycopg's errors as Django's, as elsewhere
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    adapted: dict = {None: None}  # most rows share their moments: adapt each once

    def adapt(moment):
        if moment not in adapted:
            adapted[moment] = connection.ops.adapt_datetimefield_value(moment)
        return adapted[moment]

    marks = ", ".join(["%s"] * len(INSERTED))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})",
            [(*row[:10], adapt(row[10]), adapt(row[11]), *row[12:]) for row in rows],
        )


def _says(value) -> tuple:
    return (value.number, value.text, value.source_id, value.comment, value.published_at)


def decide(
    values: list[Value], state: str, comment: str = "", *, actor=None, label=""
) -> ValuesReport:
    """Approve submitted figures, or return them with a comment: each a new revision.

    Approving makes the figure the figure of record (it supersedes the decision in force and
    the submission); returning answers the submission with the steward's comment, which the
    contributor sees beside the figure. Raise ValueError for a figure that is not submitted.
    """
    if state not in ("approved", "returned"):
        raise ValueError(f"a steward approves or returns a figure, not {state}")
    if state == "returned" and not comment.strip():
        raise ValueError("returning a figure says why: give a comment")
    entries = []
    for value in values:
        if value.state != "submitted" or value.superseded_at is not None:
            raise ValueError(f"{value} is not a submitted figure in force")
        entries.append(
            Entry(
                key=(value.indicator_id, value.entity_id, value.period, value.member_id),
                number=value.number,
                text=value.text,
                source=value.source,
                comment=comment.strip() if state == "returned" else value.comment,
                state=state,
                label=_key_text(value.indicator.code, value.entity.code, value.period, None),
                # An approval counts from the moment it is given, not from a date the
                # contributor gave: "as of" an earlier day shows the figure of record then.
                published=None if state == "approved" else value.published_at,
            )
        )
    plan = values[0].indicator.plan if values else None
    if plan is None:
        return ValuesReport()
    try:
        with transaction.atomic():
            report, problems = record_revisions(plan, entries, actor=actor, via="review")
            if problems:  # pragma: no cover - a submitted figure always has something to answer
                raise ValueError(problems[0].message)
            _audit_decision(plan, state, entries, comment, actor=actor, label=label)
    except IntegrityError:
        raise ValueError(CONCURRENT) from None
    return report


CONCURRENT = (
    "someone changed these figures at the same moment: nothing was written; look again and"
    " try again"
)


def _audit_decision(plan, state, entries, comment, *, actor, label) -> None:
    AuditEvent.record(
        "values.approve" if state == "approved" else "values.return",
        "plan",
        plan.code,
        actor=actor,
        label=label,
        plan=plan.code,
        figures=[e.label for e in entries if not e.mirror],
        comment=comment,
    )
