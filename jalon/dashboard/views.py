"""The dashboard's pages: thin views over the cached evaluation.

Every view reads like: access (plan_access raises unless the user may read the plan),
form (the filters), evaluation (cached), render. Nothing here computes a figure: the
engine did; `figures` only picks and words them.
"""

import dataclasses
import datetime as dt
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from jalon.access.choices import Role
from jalon.access.models import Access, plan_access
from jalon.dashboard.charts import breakdown_chart, chart_targets, indicator_chart
from jalon.dashboard.figures import (
    PROJECT_STATUS_LABELS,
    STATUS_LABELS,
    Suppressed,
    figure_at,
    format_figure,
    gap_shares,
    latest_partial,
    period_for_year,
    share_of_whole,
    sparkline,
    status_counts,
    statuses_by_entity,
)
from jalon.dashboard.forms import FiltersForm, SearchForm
from jalon.dashboard.pagecache import cached_page
from jalon.engine.periods import Period
from jalon.organisation.models import Entity, Grouping
from jalon.plans.models import Axis, Lever, Source, Target
from jalon.values.evaluation import breakdowns, cached_evaluation, end_of_day, withheld
from jalon.values.models import Value

OTHER_TARGETS = 20  # links to other entities' targets shown on an indicator page


@dataclass
class Page:
    """What every page of a plan knows: the plan, the reader's access, filters, evaluation."""

    request: object
    plan: object
    access: Access
    filters: FiltersForm
    year: int | None
    as_of: dt.date | None
    submitted: bool
    pe: object
    root: int

    def context(self, **extra) -> dict:
        crumbs = [(self.plan.label, reverse("overview", args=[self.plan.code]))]
        return {
            "plan": self.plan,
            "access": self.access,
            "filters": self.filters,
            "year": self.year,
            "as_of": self.as_of,
            "submitted": self.submitted,
            "members_title": self.plan.members_title,
            "members_noun": self.plan.member_noun(2),
            "member_noun_one": self.plan.member_noun(1),
            "member_title": self.plan.member_noun(1)[:1].upper() + self.plan.member_noun(1)[1:],
            "has_examples": self.has_examples(),
            "crumbs": crumbs + extra.pop("crumbs", []),
            "query": self.query_string(),
            "query_tail": self.query_string().replace("?", "&", 1),
            "search_query": self.request.GET.get("q", "")[:100],
            "extra_hidden": [],
            **extra,
        }

    def has_examples(self) -> bool:
        return any(flags.any() for flags in self.pe.example.values())

    def query_string(self) -> str:
        parts = []
        if self.year:
            parts.append(f"year={self.year}")
        if self.as_of:
            parts.append(f"as_of={self.as_of.isoformat()}")
        if self.submitted:
            parts.append("submitted=on")
        return ("?" + "&".join(parts)) if parts else ""

    def today(self) -> dt.date:
        return self.as_of or timezone.localdate()

    def moment(self):
        """Return the moment the page shows (the end of the "as of" day), else None: now."""
        return end_of_day(self.as_of) if self.as_of else None

    def targets(self):
        """Return the target versions in force at the page's moment."""
        return Target.objects.as_of(self.moment()) if self.as_of else Target.objects.current()

    def history(self):
        """Return the value revisions recorded by the page's moment that the reader may see."""
        values = Value.objects.all()
        if self.as_of:
            values = values.known_by(self.moment())
        return self.without_others_drafts(values)

    def without_others_drafts(self, values):
        """Return ``values`` less the drafts the reader may not see.

        Drafts are a contributor's work in progress: the plan's stewards see them, and the
        contributor of the entity; nobody else.
        """
        if self.access.role == "viewer":
            return values.exclude(state="draft")
        if self.access.role == "contributor":
            return values.exclude(Q(state="draft") & ~Q(entity=self.access.entity))
        return values

    def pending(self, indicator, codes: list[str], period: Period | None) -> dict:
        """Return the proposals waiting beside the figures of ``codes`` at ``period``, by code."""
        if period is None:
            return {}
        found = self.without_others_drafts(
            Value.objects.totals()
            .pending(moment=self.moment())
            .filter(indicator=indicator, entity__code__in=codes, period=period.code)
        )
        return {v.entity.code: v for v in found.select_related("entity")}

    def entities(self):
        """Return the entities of the plan's federation."""
        return Entity.objects.within(self.plan.organisation)

    def visible(self, row: int) -> bool:
        """Return whether the entity at ``row`` is within the reader's scope."""
        return within_scope(self.pe, self.root, self.access, row)


def plain_context(plan, access, crumbs, **extra) -> dict:
    """Return what the base template needs on a page without filters, and the page's own."""
    return {
        "plan": plan,
        "access": access,
        "crumbs": [(plan.label, reverse("overview", args=[plan.code])), *crumbs],
        "query": "",
        "search_query": "",
        **extra,
    }


def within_scope(pe, root: int, access: Access, row: int) -> bool:
    """Return whether the entity at ``row`` is within the scope of ``access``."""
    if access.role != "contributor":
        return True
    tree = pe.tree
    own = tree.find(access.entity.code)
    if own is None:  # gone from the tree: the whole only
        return row == root
    return row in (root, own) or own in set(tree.ancestors(row).tolist())


def restricted(access: Access, plan) -> bool:
    """Return whether the reader may not see every member (a member's contributor)."""
    return access.role == Role.CONTRIBUTOR and access.entity_id != plan.organisation_id


def scoped_evaluation(plan, access: Access, *, as_of=None, submitted: bool = False):
    """Return the plan's evaluation as ``access`` may see it, with the organisation's row.

    ``as_of`` (a date) shows what was known at the end of that day.
    """
    pe = cached_evaluation(
        plan, as_of=end_of_day(as_of) if as_of else None, include_submitted=submitted
    )
    root = pe.tree.codes.index(plan.organisation.code)
    if restricted(access, plan):
        # They see the organisation's totals, not every member's figures: a total of too
        # few members besides theirs would give those away (disclosure control).
        tree = pe.tree
        own = tree.find(access.entity.code)
        seen = () if own is None else (own, *sorted(int(r) for r in tree.descendants(own)))
        pe = withheld(pe, (root,), plan.fewest_members, seen)
    return pe, root


def open_page(request, plan_code: str) -> Page:
    """Return the page's plan, access, filters and evaluation; raise unless allowed."""
    plan, access = plan_access(request.user, plan_code)
    filters = FiltersForm(request.GET or None, plan=plan, whole=not restricted(access, plan))
    filters.is_valid()  # a bad field is said on the page; the valid ones still apply
    cleaned = getattr(filters, "cleaned_data", {})
    year, as_of = cleaned.get("year"), cleaned.get("as_of")
    submitted = bool(cleaned.get("submitted"))
    pe, root = scoped_evaluation(plan, access, as_of=as_of, submitted=submitted)
    return Page(request, plan, access, filters, year, as_of, submitted, pe, root)


@require_safe
def healthz(request):
    """Answer that this app process is up: for load balancers, and the benchmark's baseline."""
    return HttpResponse("ok", content_type="text/plain")


@require_safe
@login_required
def home(request):
    """Send the reader to their plan, or list the plans they may read."""
    accesses = list(Access.objects.filter(user=request.user).select_related("plan"))
    if len(accesses) == 1:
        return redirect("overview", accesses[0].plan.code)
    return render(request, "dashboard/home.html", {"accesses": accesses})


def _primary_targets(page, entity_id) -> dict[int, Target]:
    targets = page.targets().filter(indicator__plan=page.plan, entity_id=entity_id, primary=True)
    return {t.indicator_id: t for t in targets.select_related("document")}


@require_safe
@login_required
@cached_page
def overview(request, plan):
    """Render the plan at a glance: headline tiles, axes and levers, coverage warnings."""
    page = open_page(request, plan)
    plan = page.plan
    indicators = list(plan.indicators.order_by("order"))
    figures = {
        i.pk: figure_at(page.pe, i, page.root, period_for_year(page.year, i)) for i in indicators
    }
    primary = _primary_targets(page, plan.organisation_id)
    tiles = [
        {
            "figure": figures[i.pk],
            "target": primary.get(i.pk),
            "spark": sparkline(figures[i.pk].series),
        }
        for i in indicators
        if i.headline
    ]
    projects = list(plan.projects.prefetch_related("milestones", "axes", "levers"))
    project_statuses = {p.pk: p.status_on(page.today()) for p in projects}
    cards = {}
    for kind, items in (
        ("axis", plan.axes.prefetch_related("indicators", "projects__indicators")),
        ("lever", plan.levers.prefetch_related("indicators", "projects__indicators")),
    ):
        cards[kind] = [_card(item, figures, project_statuses) for item in items]
    warnings = [
        f
        for f in figures.values()
        if (f.coverage_incomplete or f.carried_members) and f.indicator.kind != "qualitative"
    ]
    if page.year is None:  # the latest figures: say which later totals are still partial
        later = (latest_partial(page.pe, i, page.root) for i in indicators)
        warnings += [f for f in later if f is not None and f.indicator.kind != "qualitative"]
    discrepancies = [f for f in figures.values() if f.discrepancy]
    return render(
        request,
        "dashboard/overview.html",
        page.context(
            tiles=tiles,
            axes=cards["axis"],
            levers=cards["lever"],
            warnings=warnings,
            discrepancies=discrepancies,
            indicator_count=len(indicators),
            counts=status_counts(f.status for f in figures.values()),
            project_counts=_project_counts(project_statuses.values()),
        ),
    )


def _project_counts(statuses) -> list[tuple[str, str, int]]:
    counts = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return [
        (s, PROJECT_STATUS_LABELS[s], counts[s]) for s in PROJECT_STATUS_LABELS if counts.get(s)
    ]


def _card(item, figures, project_statuses) -> dict:
    """Return an axis or lever with what serves it: indicators and projects, by status."""
    indicators = item.served_indicators()
    return {
        "item": item,
        "indicators": indicators,
        "counts": status_counts(figures[i.pk].status for i in indicators),
        "projects": list(item.projects.all()),
        "project_counts": _project_counts(project_statuses[p.pk] for p in item.projects.all()),
    }


@require_safe
@login_required
@cached_page
def indicator_list(request, plan):
    """Render every indicator with its status at the plan's organisation."""
    page = open_page(request, plan)
    indicators = list(page.plan.indicators.order_by("order"))
    figures = [figure_at(page.pe, i, page.root, period_for_year(page.year, i)) for i in indicators]
    return render(
        request,
        "dashboard/indicators.html",
        page.context(figures=figures, crumbs=[(_("Indicators"), "")]),
    )


@require_safe
@login_required
@cached_page
def indicator_detail(request, plan, code):
    """Render one indicator: chart, status sentence, targets, members, breakdowns, history."""
    page = open_page(request, plan)
    plan = page.plan
    indicator = get_object_or_404(
        plan.indicators.select_related("numerator", "denominator", "weight"), code=code
    )
    entity_code = request.GET.get("entity") or plan.organisation.code
    if entity_code not in page.pe.tree.codes:
        raise Http404
    row = page.pe.tree.codes.index(entity_code)
    if not page.visible(row):
        raise Http404  # out of scope answers as if missing
    entity = get_object_or_404(Entity, code=entity_code)
    period = period_for_year(page.year, indicator)
    fig = figure_at(page.pe, indicator, row, period)
    result = page.pe.result(indicator.code)
    documents = Source.objects.filter(code__in={v.document for v in fig.verdicts})
    sources = {s.code: s for s in documents}
    for verdict in fig.verdicts:
        verdict.source = sources.get(verdict.document)

    recorded = Target.objects.known_by(page.moment()) if page.as_of else Target.objects
    versions = list(
        recorded.filter(indicator=indicator, entity=entity)
        .select_related("entity", "document")
        .order_by("document__code", "-version")
    )
    if page.as_of:  # a version superseded after the page's moment was in force then
        for version in versions:
            if version.superseded_at and version.superseded_at > page.moment():
                version.superseded_at = None
    # Other entities' targets are links only (codes, not a record each), within scope.
    # (A row by the tree's look-up, not a search of its codes: a federation has thousands.)
    others = [
        (code, name, period)
        for code, name, period in page.targets()
        .filter(indicator=indicator)
        .exclude(entity=entity)
        .order_by("entity__code")
        .values_list("entity__code", "entity__name", "target_period")
        if (other := page.pe.tree.find(code)) is not None and page.visible(other)
    ]
    current = [t for t in versions if t.superseded_at is None]
    trajectory = [(p.code, result.expected[row, j]) for j, p in enumerate(result.periods)]
    statuses = {p.code: str(result.status[row, j]) for j, p in enumerate(result.periods)}
    chart = indicator_chart(
        fig, trajectory, chart_targets(fig, current), selected=period, breaks=indicator.breaks,
        statuses=statuses,
    )  # fmt: skip

    primary = next((t for t in current if t.primary), None)
    baseline_period = (
        Period.parse(primary.baseline_period, indicator.frequency, indicator.start_month)
        if primary
        else None
    )
    # Members with figures for this indicator; those outside the reader's scope are counted only.
    reporting = ~np.isnan(result.figure).all(axis=1)
    members_with_figures = [r for r in page.pe.tree.children(row).tolist() if reporting[r]]
    children = [r for r in members_with_figures if page.visible(r)]
    hidden = len(members_with_figures) - len(children)
    # The share of the gap is meaningful for additive amounts; others list members only.
    # It is computed over every member, then shown for those within the reader's scope.
    additive = indicator.kind == "amount" and indicator.across == "sum"
    shares = [
        share
        for share in gap_shares(
            page.pe,
            indicator,
            row,
            fig.period,
            baseline_period if additive else None,
            members_with_figures,
        )
        if page.visible(share.row)
    ]
    if page.pe.withholding is not None:
        # A reader who may not see every member has no share of the gap: theirs, over two
        # periods, would give the others' sum away.
        shares = [dataclasses.replace(share, share=None) for share in shares]
    # The members that drive the gap first; a share well above an even split stands out.
    shares.sort(key=lambda g: (g.share is None, -(g.share or 0), g.code))
    even = 1 / len(members_with_figures) if members_with_figures else 0
    drivers = {g.code for g in shares if g.share is not None and g.share > 1.5 * even}
    member_codes = [page.pe.tree.codes[r] for r in children]
    members = {m.code: m for m in Entity.objects.filter(code__in=member_codes)}
    pending = page.pending(indicator, [entity.code, *member_codes], fig.period)

    history = list(
        page.history()
        .filter(indicator=indicator, entity=entity)
        .select_related("source", "recorded_by", "member")
        .order_by("-period", "member__code", "-revision")[:200]
    )
    return render(
        request,
        "dashboard/indicator.html",
        page.context(
            indicator=indicator,
            # Every figure of the page's tables is in this unit, said in their headers.
            unit="%" if indicator.is_share else indicator.unit_label,
            entity=entity,
            figure=fig,
            pending=pending.get(entity.code),
            chart=chart,
            chart_rows=_chart_table(fig, result, row),
            targets=versions,
            verdicts=fig.verdicts,
            other_targets=others[:OTHER_TARGETS],
            more_targets=max(len(others) - OTHER_TARGETS, 0),
            shares=[
                (s, members.get(s.code), s.code in drivers, pending.get(s.code)) for s in shares
            ],
            hidden_members=hidden,
            additive=additive,
            breakdowns=_breakdowns(page, indicator, result, row, fig),
            history=history,
            extra_hidden=[("entity", entity.code)] if entity.pk != plan.organisation_id else [],
            crumbs=[
                (_("Indicators"), reverse("indicator_list", args=[plan.code])),
                (indicator.label, ""),
            ],
        ),
    )


def _breakdowns(page, indicator, result, row: int, fig) -> list[dict]:
    """Return the indicator's breakdowns at entity ``row``: tables, charts, incomplete periods."""
    broken = []
    column = result.periods.index(fig.period) if fig.period in result.periods else None
    for b in breakdowns(page.pe, indicator):
        table = []
        for k, member in enumerate(b.members):
            value = b.values[k, row, column] if column is not None else float("nan")
            table.append(
                {
                    "member": member,
                    "value": format_figure(value, indicator),
                    "example": bool(b.example[k, row, column]) if column is not None else False,
                }
            )
        rows = [
            {"period": p.code, "member": m.label, "value": float(b.values[k, row, j])}
            for j, p in enumerate(result.periods)
            for k, m in enumerate(b.members)
            if b.values[k, row, j] == b.values[k, row, j]
        ]
        incomplete = [p.code for j, p in enumerate(result.periods) if b.gaps["incomplete"][row, j]]
        broken.append(
            {
                "dimension": b.dimension,
                "chart_id": f"chart-{b.dimension.code}",
                "table": table,
                "gap": format_figure(b.gaps["gap"][row, column], indicator)
                if column is not None
                else "",
                "incomplete_here": column is not None and bool(b.gaps["incomplete"][row, column]),
                "incomplete": incomplete,
                # No member figures here at all: nothing to draw (an empty chart is no chart).
                "chart": breakdown_chart(
                    b.dimension.label,
                    [p.code for p in result.periods],
                    rows,
                    indicator,
                    [m.label for m in b.members],
                )
                if rows
                else None,
                "rows": rows,
            }
        )
    return broken


def _chart_table(fig, result, row) -> list[dict]:
    """Return the chart's figures as rows, for the table behind the chart."""
    rows = []
    for j, (period, value, example) in enumerate(fig.series):
        expected = result.expected[row, j]
        if period in fig.withheld:
            value = Suppressed(fig.fewest)
        rows.append(
            {
                "period": period.code,
                "value": format_figure(value, fig.indicator),
                "example": example,
                "expected": format_figure(expected, fig.indicator),
                "status": STATUS_LABELS.get(str(result.status[row, j]), ""),
                "partial": _("%(k)s of %(n)s reported")
                % {"k": fig.partial[period][0], "n": fig.partial[period][1]}
                if period in fig.partial
                else "",
                "selected": period == fig.period,
            }
        )
    return rows


@require_safe
@login_required
@cached_page
def entity_list(request, plan):
    """Render the organisation's entities: the tree, with former entities apart."""
    page = open_page(request, plan)
    # In the tree's order: the organisation first, then its members by name.
    depth = {code: int(d) for code, d in zip(page.pe.tree.codes, page.pe.tree.depth, strict=True)}
    entities = sorted(
        (
            e
            for e in page.entities().select_related("parent")
            if (row := page.pe.tree.find(e.code)) is not None and page.visible(row)
        ),
        key=lambda e: (depth[e.code], e.name.casefold()),
    )
    today = page.today()
    indicators = list(page.plan.indicators.all())  # as each one's page counts them
    rows = [page.pe.tree.index(e.code) for e in entities]
    for entity, counts in zip(
        entities, statuses_by_entity(page.pe, indicators, rows, page.year), strict=True
    ):
        entity.counts = counts
    current = [e for e in entities if e.valid_to is None or e.valid_to >= today]
    former = [e for e in entities if e.valid_to is not None and e.valid_to < today]
    groupings = list(
        Grouping.objects.filter(organisation=page.plan.organisation).prefetch_related(
            "memberships__entity"
        )
    )
    return render(
        request,
        "dashboard/entities.html",
        page.context(
            current=current,
            former=former,
            groupings=groupings,
            crumbs=[(page.plan.members_title, "")],
        ),
    )


@require_safe
@login_required
@cached_page
def entity_detail(request, plan, code):
    """Render an entity: its indicators against its own targets and its share of the whole."""
    page = open_page(request, plan)
    plan = page.plan
    entity = get_object_or_404(page.entities().select_related("parent"), code=code)
    row = page.pe.tree.codes.index(entity.code)
    if not page.visible(row):
        raise Http404  # out of scope answers as if missing
    indicators = list(plan.indicators.order_by("order"))
    lines = []
    noun = plan.member_noun(2)
    for indicator in indicators:
        fig = figure_at(page.pe, indicator, row, period_for_year(page.year, indicator))
        whole = figure_at(page.pe, indicator, page.root, fig.period) if row != page.root else None
        share, why = share_of_whole(fig, whole, noun)
        spark = sparkline(fig.series) if indicator.headline else ""
        lines.append({"figure": fig, "share": share, "why": why, "whole": whole, "spark": spark})
    projects = list(
        plan.projects.filter(Q(lead=entity) | Q(participants=entity))
        .distinct()
        .prefetch_related("milestones")
    )
    completeness = _completeness(page, row, indicators)
    origins = list(entity.origins.select_related("predecessor"))
    pro_forma = []
    if origins:
        for indicator in indicators:
            if not indicator.headline or indicator.kind != "amount":
                continue
            result = page.pe.result(indicator.code)
            series = [
                (
                    p.code,
                    format_figure(result.pro_forma[row, j], indicator),
                    result.figure[row, j] != result.figure[row, j]
                    and result.pro_forma[row, j] == result.pro_forma[row, j],
                )
                for j, p in enumerate(result.periods)
            ]
            pro_forma.append({"indicator": indicator, "series": series})
    return render(
        request,
        "dashboard/entity.html",
        page.context(
            entity=entity,
            lines=lines,
            counts=status_counts(line["figure"].status for line in lines),
            projects=[(p, p.status_on(page.today())) for p in projects],
            completeness=completeness,
            memberships=list(entity.memberships.select_related("grouping")),
            origins=origins,
            successions=list(entity.successions.select_related("successor")),
            pro_forma=pro_forma,
            own_targets=[line for line in lines if line["figure"].target is not None],
            crumbs=[
                (plan.members_title, reverse("entity_list", args=[plan.code])),
                (entity.name, ""),
            ],
        ),
    )


def _completeness(page, row: int, indicators) -> list[dict]:
    """Return, per year, how many of the amounts the entity was expected to report it did."""
    reported = [i for i in indicators if i.kind == "amount"]
    years = range(page.plan.horizon_start - 1, page.plan.horizon_end + 1)
    out = []
    for year in years:
        done = total = 0
        for indicator in reported:
            period = period_for_year(year, indicator)
            result = page.pe.result(indicator.code)
            if period is None or period not in result.periods or period.start > page.today():
                continue
            j = result.periods.index(period)
            if not page.pe.tree.active([period])[row, 0]:
                continue
            total += 1
            done += result.figure[row, j] == result.figure[row, j]
        if total:
            out.append(
                {
                    "year": year,
                    "done": int(done),
                    "total": total,
                    "width": round(100 * done / total),
                }
            )
    return out


@require_safe
@login_required
@cached_page
def project_list(request, plan):
    """Render the plan's projects with their statuses."""
    page = open_page(request, plan)
    projects = list(
        page.plan.projects.prefetch_related("milestones", "axes", "levers").select_related("lead")
    )
    return render(
        request,
        "dashboard/projects.html",
        page.context(
            projects=[(p, p.status_on(page.today())) for p in projects],
            crumbs=[(_("Projects"), "")],
        ),
    )


@require_safe
@login_required
@cached_page
def project_detail(request, plan, code):
    """Render a project: milestones on a timeline, status and comment, links."""
    page = open_page(request, plan)
    project = get_object_or_404(
        page.plan.projects.select_related("lead", "source").prefetch_related(
            "axes", "levers", "indicators", "participants"
        ),
        code=code,
    )
    milestones = list(project.milestones.all())
    today = page.today()
    status = project.status_on(today)
    timeline = _timeline(project, milestones, today)
    figures = [
        figure_at(page.pe, i, page.root, period_for_year(page.year, i))
        for i in project.indicators.all()
    ]
    return render(
        request,
        "dashboard/project.html",
        page.context(
            project=project,
            status=status,
            status_label=PROJECT_STATUS_LABELS[status],
            timeline=timeline,
            figures=figures,
            selection=_selection(project.indicators.all(), page.plan.organisation.code),
            crumbs=[
                (_("Projects"), reverse("project_list", args=[page.plan.code])),
                (project.label, ""),
            ],
        ),
    )


def _timeline(project, milestones, today) -> dict:
    """Return milestones placed on a line from the project's start to its end (in %)."""
    dates = [m.due for m in milestones] + [d for d in (project.start, project.end) if d]
    if not dates:
        return {"items": [], "today": None}
    first, last = min(dates), max(dates)
    span = max((last - first).days, 1)
    place = lambda d: round((d - first).days / span * 100, 1)  # noqa: E731
    items = [
        {
            "milestone": m,
            "left": place(m.due),
            "late": m.done_on is None and m.due < today,
            "done": m.done_on is not None,
        }
        for m in milestones
    ]
    now = place(today) if first <= today <= last else None
    return {"items": items, "today": now, "first": first, "last": last}


def _served(page, item) -> dict:
    figures = [
        figure_at(page.pe, i, page.root, period_for_year(page.year, i))
        for i in item.served_indicators()
    ]
    projects = [(p, p.status_on(page.today())) for p in item.projects.all()]
    return {
        "item": item,
        "figures": figures,
        "counts": status_counts(f.status for f in figures),
        "projects": projects,
        "project_counts": _project_counts(s for _, s in projects),
    }


def _served_page(request, plan, code, model, kind: str):
    """Render what serves an axis or a lever: its indicators and projects, with statuses."""
    page = open_page(request, plan)
    item = get_object_or_404(
        model.objects.filter(plan=page.plan).prefetch_related(
            "indicators", "projects__indicators", "projects__milestones"
        ),
        code=code,
    )
    return render(
        request,
        "dashboard/axis.html",
        page.context(
            kind=kind,
            **_served(page, item),
            selection=_selection(item.indicators.all(), page.plan.organisation.code),
            crumbs=[(f"{kind} {item.code}", "")],
        ),
    )


def _selection(indicators, entity_code: str) -> str:
    """Return the query that downloads these indicators' figures at the entity ("" if none)."""
    codes = [i.code for i in indicators if i.kind != "qualitative"]
    if not codes:
        return ""
    return urlencode([("indicator", code) for code in codes] + [("entity", entity_code)])


@require_safe
@login_required
@cached_page
def axis_detail(request, plan, code):
    """Render what serves an axis."""
    return _served_page(request, plan, code, Axis, _("Axis"))


@require_safe
@login_required
@cached_page
def lever_detail(request, plan, code):
    """Render what serves a lever."""
    return _served_page(request, plan, code, Lever, _("Lever"))


def folded(text: str) -> str:
    """Return ``text`` without accents or case, for matching: "Télécom" → "telecom"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@require_safe
@login_required
def search(request, plan):
    """Render what matches a query among codes and names."""
    page = open_page(request, plan)
    form = SearchForm(request.GET or None)
    found = {}
    if form.is_valid():
        # Matched in Python, accents and case folded: SQLite's LIKE folds ASCII only.
        wanted = folded(form.cleaned_data["q"])

        def hits(records):
            return [
                r for r in records if any(wanted in folded(t) for t in (r.code, r.name, r.name_en))
            ][:50]

        found = {
            "indicators": hits(page.plan.indicators.all()),
            "entities": [
                e
                for e in hits(page.entities())
                if (row := page.pe.tree.find(e.code)) is not None and page.visible(row)
            ],
            "projects": hits(page.plan.projects.all()),
            "axes": hits(page.plan.axes.all()),
            "levers": hits(page.plan.levers.all()),
        }
    return render(
        request,
        "dashboard/search.html",
        page.context(
            form=form,
            found=found,
            total=sum(len(v) for v in found.values()),
            crumbs=[(_("Search"), "")],
        ),
    )
