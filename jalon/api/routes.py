"""The API's endpoints. Each reads through the same access rules as the pages: a plan out
of reach and a missing one are both 404; an entity out of scope is 404 too."""

import datetime as dt
from typing import Any, Generic, Literal, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import translation
from ninja import Query, Schema
from pydantic import Field

from jalon.access.choices import Role
from jalon.access.models import plan_access
from jalon.api.api import ERRORS, ApiError, api
from jalon.audit.models import AuditEvent
from jalon.collection.models import CollectionRound, scope_for
from jalon.core.yamlsource import FileProblems, Located, Problem
from jalon.dashboard.figures import figure_at, period_for_year
from jalon.dashboard.views import open_page
from jalon.organisation.models import Entity
from jalon.plans.models import Plan, Target
from jalon.values.models import Value
from jalon.values.valuefile import store_data

LONGEST = 500  # items a page holds at most
Item = TypeVar("Item")


class Paging(Schema):
    limit: int = Field(100, ge=1, le=LONGEST, description="Items per page, up to 500.")
    offset: int = Field(0, ge=0, le=10**9, description="Items to skip.")


class Page(Schema, Generic[Item]):
    """One page of a list: the items, and how many there are in all."""

    count: int
    items: list[Item]


def _page(items, paging: Paging) -> dict:
    """Return one page of ``items`` (a queryset or a list) with the total count."""
    count = items.count() if hasattr(items, "count") and not isinstance(items, list) else len(items)
    return {"count": count, "items": list(items[paging.offset : paging.offset + paging.limit])}


def _visible_entities(plan: Plan, access) -> list[Entity]:
    entities = Entity.objects.within(plan.organisation).select_related("parent")
    return [e for e in entities.order_by("code") if access.may_see_entity(e)]


# Plans and their structure ----------------------------------------------------------


class PlanOut(Schema):
    code: str
    name: str
    name_en: str
    organisation: str
    horizon: list[int]
    status: str
    adopted_on: dt.date | None
    adopted_by: str
    role: str
    entity: str | None = Field(None, description="The entity a contributor reports for.")


def _plan_out(plan: Plan, access) -> dict:
    return {
        "code": plan.code,
        "name": plan.name,
        "name_en": plan.name_en,
        "organisation": plan.organisation.code,
        "horizon": [plan.horizon_start, plan.horizon_end],
        "status": plan.status,
        "adopted_on": plan.adopted_on,
        "adopted_by": plan.adopted_by,
        "role": access.role,
        "entity": access.entity.code if access.entity_id else None,
    }


@api.get("/plans", response={200: Page[PlanOut], **ERRORS}, tags=["plans"])
def plans(request, paging: Query[Paging]):
    """The plans the token's owner has access to, with their role."""
    accesses = request.user.accesses.select_related("plan__organisation", "entity").order_by(
        "plan__code"
    )
    return _page([_plan_out(a.plan, a) for a in accesses], paging)


@api.get("/plans/{plan}", response={200: PlanOut, **ERRORS}, tags=["plans"])
def plan_detail(request, plan: str):
    """One plan."""
    found, access = plan_access(request.user, plan)
    return _plan_out(found, access)


class EntityOut(Schema):
    code: str
    name: str
    name_en: str
    kind: str
    parent: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None


@api.get("/plans/{plan}/entities", response={200: Page[EntityOut], **ERRORS}, tags=["plans"])
def entities(request, plan: str, paging: Query[Paging]):
    """The plan's organisation and the members the token's owner may see."""
    found, access = plan_access(request.user, plan)
    rows = [
        {
            "code": e.code,
            "name": e.name,
            "name_en": e.name_en,
            "kind": e.kind,
            "parent": e.parent.code if e.parent_id else None,
            "valid_from": e.valid_from,
            "valid_to": e.valid_to,
        }
        for e in _visible_entities(found, access)
    ]
    return _page(rows, paging)


class PartOut(Schema):
    code: str
    name: str
    name_en: str
    indicators: list[str]
    projects: list[str]


def _parts(model_set, paging):
    rows = [
        {
            "code": part.code,
            "name": part.name,
            "name_en": part.name_en,
            "indicators": [i.code for i in part.indicators.all()],
            "projects": [p.code for p in part.projects.all()],
        }
        for part in model_set.prefetch_related("indicators", "projects").order_by("order")
    ]
    return _page(rows, paging)


@api.get("/plans/{plan}/axes", response={200: Page[PartOut], **ERRORS}, tags=["plans"])
def axes(request, plan: str, paging: Query[Paging]):
    """The plan's strategic axes, with what serves each."""
    return _parts(plan_access(request.user, plan)[0].axes, paging)


@api.get("/plans/{plan}/levers", response={200: Page[PartOut], **ERRORS}, tags=["plans"])
def levers(request, plan: str, paging: Query[Paging]):
    """The plan's levers, with what serves each."""
    return _parts(plan_access(request.user, plan)[0].levers, paging)


class MilestoneOut(Schema):
    code: str
    name: str
    due: dt.date
    done_on: dt.date | None


class ProjectOut(Schema):
    code: str
    name: str
    name_en: str
    status: str
    lead: str | None
    milestones: list[MilestoneOut]


@api.get("/plans/{plan}/projects", response={200: Page[ProjectOut], **ERRORS}, tags=["plans"])
def projects(request, plan: str, paging: Query[Paging]):
    """The plan's flagship projects, their status and milestones."""
    found, _ = plan_access(request.user, plan)
    rows = []
    projects = found.projects.select_related("lead").prefetch_related("milestones")
    for p in projects.order_by("order"):
        rows.append(
            {
                "code": p.code,
                "name": p.name,
                "name_en": p.name_en,
                "status": p.status_on(dt.date.today()),
                "lead": p.lead.code if p.lead_id else None,
                "milestones": [
                    {"code": m.code, "name": m.name, "due": m.due, "done_on": m.done_on}
                    for m in p.milestones.all()
                ],
            }
        )
    return _page(rows, paging)


class IndicatorOut(Schema):
    code: str
    name: str
    name_en: str
    unit: str
    frequency: str
    kind: str
    across: str
    over_time: str
    polarity: str
    headline: bool
    axes: list[str]
    levers: list[str]
    figures_from: str | None = Field(None, description="The plan whose figures it shares.")


@api.get("/plans/{plan}/indicators", response={200: Page[IndicatorOut], **ERRORS}, tags=["plans"])
def indicators(request, plan: str, paging: Query[Paging]):
    """The plan's indicators and their rules."""
    found, _ = plan_access(request.user, plan)
    rows = [
        {
            "code": i.code,
            "name": i.name,
            "name_en": i.name_en,
            "unit": i.unit,
            "frequency": i.frequency,
            "kind": i.kind,
            "across": i.across,
            "over_time": i.over_time,
            "polarity": i.polarity,
            "headline": i.headline,
            "axes": [a.code for a in i.axes.all()],
            "levers": [lever.code for lever in i.levers.all()],
            "figures_from": i.figures_from.plan.code if i.figures_from_id else None,
        }
        for i in found.indicators.prefetch_related("axes", "levers")
        .select_related("figures_from__plan")
        .order_by("order", "code")
    ]
    return _page(rows, paging)


class TargetOut(Schema):
    indicator: str
    entity: str
    document: str
    primary: bool
    baseline_period: str
    baseline_value: float | None
    target_period: str
    target_value: float | None
    target_relative: float | None


@api.get("/plans/{plan}/targets", response={200: Page[TargetOut], **ERRORS}, tags=["plans"])
def targets(request, plan: str, paging: Query[Paging]):
    """The targets in force, for the entities the token's owner may see."""
    found, access = plan_access(request.user, plan)
    seen = {e.pk for e in _visible_entities(found, access)}
    rows = [
        {
            "indicator": t.indicator.code,
            "entity": t.entity.code,
            "document": t.document.code,
            "primary": t.primary,
            "baseline_period": t.baseline_period,
            "baseline_value": t.baseline_value,
            "target_period": t.target_period,
            "target_value": t.target_value,
            "target_relative": t.target_relative,
        }
        for t in Target.objects.current()
        .filter(indicator__plan=found, entity_id__in=seen)
        .select_related("indicator", "entity", "document")
        .order_by("indicator__order", "indicator__code", "entity__code", "pk")
    ]
    return _page(rows, paging)


# Figures ---------------------------------------------------------------------------


class FigureOut(Schema):
    indicator: str
    entity: str
    period: str
    member: str | None
    value: float | None
    text: str
    state: str
    revision: int
    source: str | None
    comment: str
    published_at: dt.datetime | None
    recorded_at: dt.datetime
    recorded_by: str


class FigureFilters(Paging):
    indicator: str | None = Field(None, max_length=64)
    entity: str | None = Field(None, max_length=64)
    period: str | None = Field(None, max_length=16)
    state: str | None = Field(None, description="approved, submitted, draft, returned, withdrawn")


@api.get("/plans/{plan}/figures", response={200: Page[FigureOut], **ERRORS}, tags=["figures"])
def figures(request, plan: str, filters: Query[FigureFilters]):
    """The figures in force (every state the token's owner may see: another's drafts not),
    for the entities they may see."""
    found, access = plan_access(request.user, plan)
    seen = {e.pk for e in _visible_entities(found, access)}
    values = Value.objects.current().filter(indicator__plan=found, entity_id__in=seen)
    if access.role == Role.VIEWER:
        values = values.exclude(state="draft")
    elif access.role == Role.CONTRIBUTOR:
        values = values.exclude(Q(state="draft") & ~Q(entity=access.entity))
    for name, field in (("indicator", "indicator__code"), ("entity", "entity__code")):
        if getattr(filters, name):
            values = values.filter(**{field: getattr(filters, name)})
    if filters.period:
        values = values.filter(period=filters.period)
    if filters.state:
        values = values.filter(state=filters.state)
    values = values.select_related(
        "indicator", "entity", "member__dimension", "source", "recorded_by"
    ).order_by("indicator__order", "indicator__code", "entity__code", "period", "member", "pk")
    page = _page(values, filters)
    page["items"] = [
        {
            "indicator": v.indicator.code,
            "entity": v.entity.code,
            "period": v.period,
            "member": f"{v.member.dimension.code}/{v.member.code}" if v.member_id else None,
            "value": v.number,
            "text": v.text,
            "state": v.state,
            "revision": v.revision,
            "source": v.source.code if v.source_id else None,
            "comment": v.comment,
            "published_at": v.published_at,
            "recorded_at": v.recorded_at,
            "recorded_by": v.recorded_by.get_username() if v.recorded_by_id else v.recorded_via,
        }
        for v in page["items"]
    ]
    return page


class FiguresIn(Schema):
    state: Literal["draft", "submitted", "approved", "withdrawn"] = Field(
        description="approved, submitted, draft or withdrawn: as in a value file (a"
        " contributor sends drafts or submissions; a steward may approve)."
    )
    source: str | None = Field(None, description="The source of rows that give none.")
    note: str | None = None
    published: dt.date | None = None
    values: list[dict[str, Any]] = Field(
        description="Rows as in a value file: indicator, entity, period, value (or text),"
        " and optionally member, source, comment.",
        max_length=100_000,
    )


class ImportOut(Schema):
    dry_run: bool
    counts: dict[str, int]


class _Located(Located):
    """A JSON body's data: its problems say the path in it, not a line."""

    def problem(self, path, message: str, *, key: bool = False) -> Problem:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        row = path[1] + 1 if len(path) > 1 and path[0] == "values" else 0
        return Problem(row, 0, message, header=where)


@api.post("/plans/{plan}/figures", response={200: ImportOut, **ERRORS}, tags=["figures"])
def import_figures(request, plan: str, body: FiguresIn, dry_run: bool = False):
    """Record figures, all or nothing, with exactly the checks of an imported file, in the
    states the token's owner may give. `dry_run=true` says what it would do."""
    found, access = plan_access(request.user, plan)
    with translation.override("en"):  # the API speaks English, as files' problems do
        scope = scope_for(access)
    if not scope.states:
        raise PermissionDenied
    data = {"jalon": 1, "plan": found.code, **body.dict(exclude_none=True)}
    try:
        with translation.override("en"):
            report = store_data(
                _Located(data),
                "api",
                actor=request.user,
                action="api",
                plan=found,
                scope=scope,
                dry_run=dry_run,
            )
    except FileProblems as problems:
        raise ApiError(
            422,
            "invalid_figures",
            f"{len(problems.problems)} problem(s); nothing was recorded",
            [{"where": p.header, "message": p.message} for p in problems.problems],
        ) from None
    return {"dry_run": dry_run, "counts": dict(report.counts)}


# Evaluations -----------------------------------------------------------------------


class EvaluationOut(Schema):
    indicator: str
    entity: str
    period: str | None
    value: float | None
    suppressed: bool = Field(description="Withheld: the total rests on too few members.")
    status: str
    example: bool
    unapproved: bool
    target: float | None
    target_period: str | None
    achievement: float | None
    progress: float | None
    forecast: float | None
    forecast_low: float | None
    forecast_high: float | None
    forecast_period: str | None
    probability: float | None
    outcome: float | None


class EvaluationFilters(Paging):
    entity: str | None = Field(None, max_length=64, description="Default: the organisation.")
    year: int | None = Field(None, ge=1900, le=2200, description="That year's period.")
    as_of: dt.date | None = Field(None, description="What was known at the end of that day.")
    submitted: bool = Field(False, description="Count submitted figures beside approved ones.")


def _num(value):
    return None if value is None or value != value else float(value)


@api.get(
    "/plans/{plan}/evaluation", response={200: Page[EvaluationOut], **ERRORS}, tags=["evaluations"]
)
def evaluation(request, plan: str, filters: Query[EvaluationFilters]):
    """Each indicator at an entity: figure, status, achievement, forecast and probability,
    as the pages show them (a total withheld from the reader is `suppressed`)."""
    page = open_page(request, plan)
    if page.pe.withholding is not None and (filters.as_of or filters.submitted):
        raise ApiError(
            403,
            "whole_readers_only",
            "as_of and submitted are for readers who see every member: two totals compared"
            " would give one member's figure away",
        )
    code = filters.entity or page.plan.organisation.code
    row = page.pe.tree.find(code)
    if row is None or not page.visible(row):
        raise Http404
    rows = []
    for indicator in page.plan.indicators.exclude(kind="qualitative").order_by("order", "code"):
        f = figure_at(page.pe, indicator, row, period_for_year(filters.year, indicator))
        rows.append(
            {
                "indicator": indicator.code,
                "entity": code,
                "period": f.period.code if f.period else None,
                "value": None if f.suppressed else _num(f.value),
                "suppressed": f.suppressed,
                "status": f.status,
                "example": f.example,
                "unapproved": f.unapproved,
                "target": _num(f.target),
                "target_period": f.target_period.code if f.target_period else None,
                "achievement": _num(f.achievement),
                "progress": _num(f.progress),
                "forecast": _num(f.forecast),
                "forecast_low": _num(f.forecast_low),
                "forecast_high": _num(f.forecast_high),
                "forecast_period": f.forecast_period.code if f.forecast_period else None,
                "probability": _num(f.probability),
                "outcome": _num(f.outcome),
            }
        )
    return _page(rows, filters)


# Rounds and the trail --------------------------------------------------------------


class CompletenessOut(Schema):
    entity: str
    counts: dict[str, int]
    total: int
    done: int


class RoundOut(Schema):
    year: int
    deadline: dt.date
    open: bool
    completeness: list[CompletenessOut]


@api.get("/plans/{plan}/rounds", response={200: Page[RoundOut], **ERRORS}, tags=["rounds"])
def rounds(request, plan: str, paging: Query[Paging]):
    """The collection rounds and, entity by entity, how complete each is (stewards, and
    contributors for their own entities)."""
    found, access = plan_access(request.user, plan)
    if access.role not in (Role.STEWARD, Role.CONTRIBUTOR):
        raise PermissionDenied
    rows = []
    for round_ in CollectionRound.objects.filter(plan=found).order_by("-year"):
        rows.append(
            {
                "year": round_.year,
                "deadline": round_.deadline,
                "open": round_.is_open,
                "completeness": [
                    {
                        "entity": r["entity"].code,
                        "counts": r["counts"],
                        "total": r["total"],
                        "done": r["done"],
                    }
                    for r in round_.completeness()
                    if access.may_see_entity(r["entity"])
                ],
            }
        )
    return _page(rows, paging)


class EventOut(Schema):
    at: dt.datetime
    who: str
    action: str
    object_type: str
    object_key: str
    plan: str
    detail: dict[str, Any]


class EventFilters(Paging):
    action: str | None = Field(None, max_length=40)
    plan: str | None = Field(None, max_length=64)


@api.get("/audit", response={200: Page[EventOut], **ERRORS}, tags=["audit"])
def audit(request, filters: Query[EventFilters]):
    """The audit trail (administrators)."""
    if not request.user.is_superuser:
        raise PermissionDenied
    events = AuditEvent.objects.all()
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.plan:
        events = events.filter(plan_code=filters.plan)
    page = _page(events, filters)
    page["items"] = [
        {
            "at": e.at,
            "who": e.actor_label,
            "action": e.action,
            "object_type": e.object_type,
            "object_key": e.object_key,
            "plan": e.plan_code,
            "detail": e.detail,
        }
        for e in page["items"]
    ]
    return page
