"""What a board report says, gathered from the engine: the same figures as the pages.

`build_report` reads (an evaluation as the reader may see it, at the end of the report's
day), and returns plain data; `render.py` writes it as HTML and PDF. Nothing here
depends on the moment the report is made: the same data and date give the same report.
"""

import base64
import datetime as dt
from dataclasses import dataclass, field

import vl_convert
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone, translation

from jalon.access.models import Access
from jalon.dashboard.charts import chart_targets, indicator_chart
from jalon.dashboard.figures import (
    PROJECT_STATUS_LABELS,
    Figure,
    figure_at,
    period_for_year,
    share_of_whole,
    status_counts,
)
from jalon.dashboard.views import restricted, scoped_evaluation, within_scope
from jalon.organisation.models import Entity
from jalon.plans.models import Plan, Source, Target
from jalon.reports.models import Commentary
from jalon.values.choices import ValueState
from jalon.values.evaluation import end_of_day
from jalon.values.models import Value

# The charts in French, written as the pages write figures (13 000 and 20,4).
FRENCH = {"decimal": ",", "thousands": "\u202f", "grouping": [3], "currency": ["", "\u00a0€"]}
HALF_YEAR = dt.timedelta(days=182)  # a board meets twice a year: the previous report's date


@dataclass
class Block:
    """An indicator in the report: its figure, chart, and the stewards' commentary."""

    figure: Figure
    chart: str = ""  # SVG
    commentary: Commentary | None = None
    drawn: tuple = ()  # what the chart draws: "actual", "example", "partial", "rule"…

    @property
    def chart_src(self) -> str:
        """Return the chart as a data address for an image: drawn as an image, its SVG is
        neither parsed as the page's markup nor styled by the page's rules."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.chart.encode()).decode()


@dataclass
class Section:
    """An axis or a lever: what serves it, by status, and its projects."""

    kind: str
    item: object
    counts: list
    blocks: list[Block]
    projects: list[dict]
    commentary: Commentary | None = None

    @property
    def key(self) -> set[str]:
        """Return what the part's charts draw, for the key printed above them: "actual",
        "example", "partial", "trajectory", "forecast", "target", and "rule" (a vertical
        line: the period shown, or a break in series)."""
        return {kind for b in self.blocks if b.chart for kind in b.drawn}

    @property
    def charts(self) -> bool:
        return any(b.chart for b in self.blocks)


@dataclass
class Annex:
    """A member: its indicators against its own targets, its share, its reporting."""

    entity: Entity
    lines: list[dict]
    counts: list
    reported: int
    expected: int


@dataclass
class Changes:
    """What changed since the previous report's date."""

    since: dt.date
    figures: list[Value] = field(default_factory=list)
    more_figures: int = 0
    statuses: list[tuple] = field(default_factory=list)  # (figure before, figure now)
    targets: list[Target] = field(default_factory=list)


# An annex whose members' tables reach this many lines gives each member a page of its
# own (and lets a long report be laid out in pieces between members); shorter ones follow
# one another.
ANNEX_PAGE_LINES = 25


@dataclass
class BoardReport:
    plan: Plan
    language: str
    as_of: dt.date
    year: int | None
    entity: Entity
    role: str
    headline: list[Figure]
    overall: list
    parts: list[Section]
    changes: Changes
    annex: list[Annex]
    sources: list[Source]
    examples: int
    carried: int
    commentary: Commentary | None
    restricted: bool = False  # read by someone who may not see every member
    unapproved: int = 0  # figures submitted, waiting for a steward at the report's date
    figures: dict = field(default_factory=dict)  # indicator code: Figure (the scope's)

    @property
    def annex_by_page(self) -> bool:
        """Whether each member of the annex begins a page (ANNEX_PAGE_LINES)."""
        return max((len(a.lines) for a in self.annex), default=0) >= ANNEX_PAGE_LINES


def build_report(
    plan: Plan,
    access: Access,
    *,
    as_of: dt.date,
    language: str,
    year: int | None = None,
    entity: str | None = None,
    since: dt.date | None = None,
    progress=lambda share: None,
) -> BoardReport:
    """Return the board report of ``plan`` as ``access`` may read it, at the end of ``as_of``.

    ``year`` is the reporting period (none: each indicator's latest whole figure);
    ``entity`` the scope (default: the plan's organisation); ``since`` the previous report's
    date (default: half a year before). Raise PermissionDenied for a scope out of reach.
    """
    with translation.override(language):
        return _build(plan, access, as_of, language, year, entity, since, progress)


def _build(plan, access, as_of, language, year, entity_code, since, progress) -> BoardReport:
    pe, root = _evaluation(plan, access, as_of)
    code = entity_code or plan.organisation.code
    row = pe.tree.find(code)
    if row is None or not within_scope(pe, root, access, row):
        raise PermissionDenied(f"the entity '{code}' is not within this reader's reach")
    entity = Entity.objects.get(code=code)
    moment = end_of_day(as_of)
    indicators = list(plan.indicators.order_by("order", "code"))
    figures = {
        i.code: figure_at(pe, i, row, period_for_year(year, i)) for i in indicators
    }  # fmt: skip
    commentary = _commentary(plan, year or as_of.year, moment)
    # The charts of the indicators the sections show (those serving an axis or a lever).
    wanted = {
        i.code for item in (*plan.axes.all(), *plan.levers.all()) for i in item.served_indicators()
    }
    report = _gather(
        plan, access, pe, root, row, entity, indicators, figures, commentary, as_of, year,
        since, moment, language,
    )  # fmt: skip
    progress(0.4)
    # One at a time: vl-convert draws in one JavaScript runtime per process and holds
    # Python's lock meanwhile, so threads gained nothing (measured: slower, not faster).
    charts = _charts(pe, figures, indicators, wanted, row, year, moment, language, progress)
    for part in report.parts:
        for block in part.blocks:
            block.chart, block.drawn = charts.get(block.figure.indicator.code, ("", ()))
    return report


def _gather(
    plan, access, pe, root, row, entity, indicators, figures, commentary, as_of, year, since,
    moment, language,
) -> BoardReport:  # fmt: skip
    """Return the report but its charts: the sections, changes, annex and sources."""
    parts = []
    for kind, items in (
        ("axis", plan.axes.prefetch_related("indicators", "projects__indicators")),
        ("lever", plan.levers.prefetch_related("indicators", "projects__indicators")),
    ):
        for item in items:
            served = item.served_indicators()
            parts.append(
                Section(
                    kind=kind,
                    item=item,
                    counts=status_counts(figures[i.code].status for i in served),
                    blocks=[
                        Block(figures[i.code], commentary=commentary.get(("indicator", i.code)))
                        for i in served
                    ],
                    projects=_projects(item, as_of),
                    commentary=commentary.get((kind, item.code)),
                )
            )
    members = [r for r in pe.tree.children(row).tolist() if within_scope(pe, root, access, int(r))]
    annex = [_annex(pe, plan, indicators, int(r), figures, year) for r in members]
    # What the report's figures and targets are: of its entity and the members below it
    # that the reader may see.
    within = {"indicator__plan": plan, **_within(pe, root, access, row)}
    return BoardReport(
        plan=plan,
        language=language,
        as_of=as_of,
        year=year,
        entity=entity,
        role=access.role,
        headline=[figures[i.code] for i in indicators if i.headline],
        overall=status_counts(f.status for f in figures.values()),
        parts=parts,
        changes=_changes(plan, access, within, pe, row, indicators, as_of, since, year, figures),
        annex=annex,
        sources=_sources(within, moment),
        unapproved=Value.objects.filter(state=ValueState.SUBMITTED, **within)
        .pending(moment=moment)
        .count(),
        restricted=restricted(access, plan),
        examples=sum(f.example for f in figures.values()),
        carried=sum(f.carried_members + (f.carried > 0) for f in figures.values()),
        commentary=commentary.get(("plan", "")),
        figures=figures,
    )


def _evaluation(plan, access, as_of: dt.date):
    """Return the evaluation known at the end of ``as_of``, with the organisation's row.

    On today's date, where nothing of the plan becomes known or is replaced after today
    (no figure or target published later), that is the current evaluation, which the
    pages keep: the report need not read every figure again.
    """
    moment = end_of_day(as_of)
    later = Q(recorded_at__gt=moment) | Q(published_at__gt=moment) | Q(superseded_at__gt=moment)
    if as_of >= timezone.localdate() and not (
        Value.objects.filter(indicator__plan=plan).filter(later).exists()
        or Target.objects.filter(indicator__plan=plan).filter(later).exists()
    ):
        return scoped_evaluation(plan, access)
    return scoped_evaluation(plan, access, as_of=as_of)


def _commentary(plan, year: int, moment) -> dict:
    texts = Commentary.objects.filter(plan=plan, year=year).valid_at(moment)
    return {(c.subject, c.code): c for c in texts.select_related("plan") if c.said}


def _charts(pe, figures, indicators, wanted, row, year, moment, language, progress) -> dict:
    """Return each quantitative indicator's chart as SVG, with what it draws: the page's
    specification, drawn offline by vl-convert at a page's width."""
    targets = Target.objects.as_of(moment).filter(
        indicator__plan=pe.plan, entity__code=pe.tree.codes[row]
    )
    by_indicator = {}
    for t in targets.select_related("entity", "document", "indicator"):
        by_indicator.setdefault(t.indicator_id, []).append(t)
    specs = {}
    for indicator in [i for i in indicators if i.kind != "qualitative" and i.code in wanted]:
        fig = figures[indicator.code]
        result = pe.result(indicator.code)
        trajectory = [(p.code, result.expected[row, j]) for j, p in enumerate(result.periods)]
        statuses = {p.code: str(result.status[row, j]) for j, p in enumerate(result.periods)}
        spec = indicator_chart(
            fig,
            trajectory,
            chart_targets(fig, by_indicator.get(indicator.pk, [])),
            selected=period_for_year(year, indicator),
            breaks=indicator.breaks,
            statuses=statuses,
        )
        specs[indicator.code] = _printed(spec)
    locale = FRENCH if language == "fr" else "en-US"
    charts = {}
    for n, (code, (spec, drawn)) in enumerate(specs.items()):
        charts[code] = (vl_convert.vegalite_to_svg(spec, format_locale=locale), drawn)
        progress(0.4 + 0.5 * (n + 1) / len(specs))
    return charts


def _printed(spec: dict) -> tuple[dict, tuple]:
    """Return a page's chart specification as the report draws it: at a page's width,
    without tooltips, which paper cannot show, and without its legend: every chart of a
    part shares the key printed once above them (`reports/_chart_key.html`). A legend
    took two fifths of the time vl-convert spends drawing a chart. Also return what the
    chart draws, for the key."""
    drawn = tuple(spec.pop("usermeta")["drawn"])
    spec |= {"width": 520, "height": 190}
    spec["config"] = spec["config"] | {"legend": {"disable": True}}
    layers = [spec, *spec.get("layer", [])]
    for layer in layers:
        layer.get("encoding", {}).pop("tooltip", None)
    return spec, drawn


def _projects(item, as_of: dt.date) -> list[dict]:
    out = []
    for project in item.projects.prefetch_related("milestones").order_by("order", "code"):
        milestones = list(project.milestones.all())
        status = project.status_on(as_of)
        out.append(
            {
                "project": project,
                "status": status,
                "status_label": PROJECT_STATUS_LABELS[status],
                "done": [m for m in milestones if m.done_on and m.done_on <= as_of],
                "late": [
                    m
                    for m in milestones
                    if m.due < as_of and not (m.done_on and m.done_on <= as_of)
                ],
            }
        )
    return out


def _annex(pe, plan, indicators, row: int, figures: dict, year) -> Annex:
    noun = plan.member_noun(2)
    code = pe.tree.codes[row]
    lines = []
    reported = expected = 0
    for indicator in indicators:
        whole = figures[indicator.code]
        fig = figure_at(pe, indicator, row, whole.period or period_for_year(year, indicator))
        if indicator.kind == "amount" and whole.period is not None:
            expected += 1
            reported += fig.value is not None
        if fig.value is None and fig.target is None:
            continue
        share, why = share_of_whole(fig, whole, noun)
        lines.append({"figure": fig, "share": share, "why": why})
    return Annex(
        entity=Entity.objects.get(code=code),
        lines=lines,
        counts=status_counts(line["figure"].status for line in lines),
        reported=reported,
        expected=expected,
    )


def _changes(plan, access, within, pe, row, indicators, as_of, since, year, figures) -> Changes:
    since = since or as_of - HALF_YEAR
    before, after = end_of_day(since), end_of_day(as_of)
    new = (
        Value.objects.filter(state="approved", **within)
        .known_between(before, after)
        .select_related("indicator", "entity", "member", "source")
        .order_by("indicator__order", "period", "entity__code", "member__code", "revision")
    )
    listed = list(new[:40])
    statuses = []
    # A reader who may not see every member compares no two moments (the pages give them
    # no "as of" either): what changed is said in figures of their own only.
    earlier, _root = (
        (None, None) if restricted(access, plan) else scoped_evaluation(plan, access, as_of=since)
    )
    earlier_row = earlier.tree.find(pe.tree.codes[row]) if earlier is not None else None
    if earlier_row is not None:
        for indicator in indicators:
            then = figure_at(earlier, indicator, earlier_row, period_for_year(year, indicator))
            now = figures[indicator.code]
            if then.status != now.status:
                statuses.append((then, now))
    revised = (
        Target.objects.filter(version__gt=1, **within)
        .known_between(before, after)
        .select_related("indicator", "entity", "document")
        .order_by("indicator__order", "entity__code", "version")
    )
    return Changes(
        since=since,
        figures=listed,
        more_figures=max(new.count() - len(listed), 0),
        statuses=statuses,
        targets=list(revised),
    )


def _sources(within: dict, moment) -> list[Source]:
    """Return the documents the report's figures (those that count) and targets come from,
    ``within`` its scope."""
    values = Value.objects.filter(**within).counting().as_of(moment)
    # Unordered: the model's ordering would make every figure a distinct row.
    used = set(
        values.exclude(source=None).order_by().values_list("source_id", flat=True).distinct()
    )
    used |= set(
        Target.objects.as_of(moment)
        .filter(**within)
        .order_by()
        .values_list("document_id", flat=True)
        .distinct()
    )
    return list(Source.objects.filter(pk__in=used).order_by("is_example", "code"))


def _within(pe, root, access, row) -> dict:
    """Return the entity filter of figures and targets to the report's scope: the entity
    and its descendants that the reader may see (none where that is every entity)."""
    rows = [row, *pe.tree.descendants(row).tolist()]
    seen = [pe.tree.codes[r] for r in rows if within_scope(pe, root, access, int(r))]
    if len(seen) == len(pe.tree):  # the whole organisation: every figure of the plan
        return {}
    return {"entity__code__in": seen}
